export * from './account';
export * from './run';
export * from './project';
