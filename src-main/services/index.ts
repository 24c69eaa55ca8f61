/** The main-process services: built and wired by create-services.ts (the composition root). */
export { createServices, type AppServices, type ServiceDeps, type ServiceInternals } from './create-services';
