// Variables, templating and expressions: the public surface other parts of play use.
export { renderTemplate, checkTemplate } from './template.js';
export { templateValue, hasTemplate } from './template-value.js';
export { evaluate, evaluateCondition, checkExpression } from './expression.js';
export { buildVars, lazyHostvars, PRECEDENCE, withExtraVars, type VarLayers } from './precedence.js';
export { truthy } from './values.js';
