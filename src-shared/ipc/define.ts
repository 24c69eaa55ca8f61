import type { z } from 'zod';

/** One method of an exposed service: a tuple of argument schemas and a result schema. */
export interface MethodSpec<A extends z.ZodTuple = z.ZodTuple, R extends z.ZodType = z.ZodType> {
  readonly args: A;
  readonly result: R;
  /** One line for humans; also shown by the contract completeness test. */
  readonly doc: string;
}

export type ServiceSpec = Readonly<Record<string, MethodSpec>>;

export function method<A extends z.ZodTuple, R extends z.ZodType>(spec: MethodSpec<A, R>): MethodSpec<A, R> {
  return spec;
}

/** The Promise-returning API a renderer sees for one service. */
export type ServiceClient<S extends ServiceSpec> = {
  [M in keyof S]: (...args: z.input<S[M]['args']>) => Promise<z.output<S[M]['result']>>;
};

/** What main must implement for one service: receives parsed args, returns the result input. */
export type ServiceHandlers<S extends ServiceSpec> = {
  [M in keyof S]: (...args: z.output<S[M]['args']>) => Promise<z.input<S[M]['result']>>;
};
