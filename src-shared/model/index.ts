export * from './account';
export * from './run';
