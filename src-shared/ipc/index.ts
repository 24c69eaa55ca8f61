export * from './contract';
export * from './channels';
export * from './errors';
export * from './define';
export * from './services/app';
export * from './services/accounts';
