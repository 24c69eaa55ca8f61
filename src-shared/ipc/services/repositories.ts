import { z } from 'zod';
import { method } from '../define';
import { ProjectListSchema } from '../../model/project';

export const repositoriesContract = {
  list: method({
    args: z.tuple([z.object({ accountId: z.string(), search: z.string().max(200).optional() })]),
    result: ProjectListSchema,
    doc: 'Projects with Developer access or higher, from the cache, refreshed in the background.',
  }),
  refresh: method({ args: z.tuple([z.string()]), result: ProjectListSchema, doc: 'Fetches every page again now.' }),
};
