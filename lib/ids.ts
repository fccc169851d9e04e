/**
 * The ids records are named by, written down once. Isomorphic: the server validates route params
 * and uploads with these, the browser checks what it is about to send.
 */
import { z } from 'zod';

/** Dataset and model ids: lowercase letters, digits and `-`, at most 64; safe in URLs and file paths. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const DatasetIdSchema = z.string().regex(ID_PATTERN, 'not a dataset id');
export const ModelIdSchema = z.string().regex(ID_PATTERN, 'not a model id');

/** Sample ids: 128 random bits, base64url without padding, so 22 characters. */
export const SampleIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'not a sample id');
