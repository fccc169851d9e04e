import 'server-only';

/**
 * Classes from a zip's folders, the way Keras `image_dataset_from_directory` and Teachable Machine
 * read a folder of images: each folder at the first level where the zip's paths differ is a class,
 * and every file anywhere under it carries that class. Folders that wrap everything (a zip of
 * `flowers/roses/…`, `flowers/tulips/…`) are looked through, so zipping the folder or its contents
 * gives the same classes. A zip whose files all sit in one folder, or in none, has no classes.
 */

export interface FolderClasses {
  /** Class of each file (by index), or undefined for a file outside any class folder. */
  classOf: (string | undefined)[];
  /** Classes that only empty folders declare, each with one such folder's path. */
  emptyClasses: { name: string; folder: string }[];
}

const segments = (path: string) => path.replace(/\\/g, '/').split('/').filter(Boolean);

/**
 * `files`: paths of the zip's files; `folders`: its folder entries (zips may list folders, empty
 * ones included; a folder with something under it adds nothing that its files do not say).
 */
export function folderClasses(files: readonly string[], folders: readonly string[] = []): FolderClasses {
  const fileDirs = files.map((f) => segments(f).slice(0, -1));
  const under = (dirs: string[], folder: string[]) =>
    dirs.length > folder.length && folder.every((s, i) => dirs[i] === s);
  const folderPaths = folders.map(segments).filter((f) => f.length > 0);
  // An empty folder counts as if a file sat in it: it still says where classes are.
  const emptyFolders = folderPaths.filter(
    (f) => !fileDirs.some((d) => under(d, f) || sameDir(d, f)) && !folderPaths.some((g) => under(g, f)),
  );
  const places = [...fileDirs, ...emptyFolders];
  let shared = 0;
  if (places.length > 0) while (places.every((p) => p.length > shared && p[shared] === places[0][shared])) shared++;

  const classOf = fileDirs.map((d) => (d.length > shared ? d[shared] : undefined));
  const withFiles = new Set(classOf);
  const emptyClasses = new Map<string, string>();
  for (const f of emptyFolders) {
    const name = f[shared];
    if (name !== undefined && !withFiles.has(name) && !emptyClasses.has(name))
      emptyClasses.set(name, `${f.slice(0, shared + 1).join('/')}/`);
  }
  return { classOf, emptyClasses: [...emptyClasses].map(([name, folder]) => ({ name, folder })) };
}

function sameDir(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
