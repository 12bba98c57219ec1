/**
 * Rendering conversations with a tokenizer's Jinja chat template (through @huggingface/jinja,
 * the engine transformers.js uses), the way TRL's `maybe_apply_chat_template` does:
 * the prompt is rendered with `add_generation_prompt: true`, prompt + answer without it, and the
 * answer's text is what the full rendering adds after the prompt's.
 */
import { Template } from '@huggingface/jinja';
import { UserError } from '../errors.ts';
import type { Message, RecordSource } from './records.ts';

/**
 * The template used when a tokenizer has none (e.g. the built-in character tokenizer): ChatML,
 * as Qwen2 and SmolLM2 use it.
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Extra variables templates commonly read (`bos_token`, `eos_token`, ...). */
export type TemplateContext = Record<string, unknown>;

const compiled = new Map<string, Template>();

function compile(template: string): Template {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (error) {
      throw new UserError(`cannot parse the chat template: ${(error as Error).message}`);
    }
    compiled.set(template, t);
  }
  return t;
}

/** Renders `messages` with a Jinja chat template. */
export function renderChat(
  template: string,
  messages: Message[],
  options: { addGenerationPrompt: boolean; context?: TemplateContext; source?: RecordSource },
): string {
  try {
    return compile(template).render({
      bos_token: '',
      eos_token: '',
      ...options.context,
      messages,
      add_generation_prompt: options.addGenerationPrompt,
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    const where = options.source ? `${options.source.file}:${options.source.line}: ` : '';
    throw new UserError(`${where}the chat template failed: ${(error as Error).message}`);
  }
}

/**
 * The prompt text (with the generation prompt) and the answer text (what rendering prompt +
 * answer adds after it) of a conversation.
 */
export function renderPromptAndAnswer(
  template: string,
  prompt: Message[],
  answer: Message[],
  options: { context?: TemplateContext; source?: RecordSource; field?: string } = {},
): { prompt: string; answer: string } {
  const promptText = renderChat(template, prompt, { addGenerationPrompt: true, ...options });
  const full = renderChat(template, [...prompt, ...answer], { addGenerationPrompt: false, ...options });
  if (!full.startsWith(promptText)) {
    const where = options.source ? `${options.source.file}:${options.source.line}: ` : '';
    throw new UserError(
      `${where}the chat template renders prompt + '${options.field ?? 'answer'}' so that it does not start with the rendered prompt; ` +
        'the answer cannot be separated from the prompt',
    );
  }
  return { prompt: promptText, answer: full.slice(promptText.length) };
}
