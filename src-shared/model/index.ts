export * from './account';
export * from './run';
export * from './project';
export * from './review';
export * from './access-level';
