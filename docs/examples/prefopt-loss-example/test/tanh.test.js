// The plugin's own conformance test: prefopt's property-test kit checks the generic invariants
// (finite at extreme inputs, per-pair independence, gradients vs finite differences, schema) and
// every invariant the loss declares, under its defaults and a second beta.
import { testLoss } from 'prefopt/testing';
import tanhLoss from '../index.js';

testLoss(tanhLoss, { params: [{}, { beta: 0.5 }] });
