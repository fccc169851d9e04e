import type { ClassCount } from '@/lib/pixels/manifest';

/**
 * A labelled dataset's classes with their image counts (train + validation), in class-id order.
 * `onPick` (optional) makes each class a button, with the picked one pressed.
 */
export function DatasetClasses({
  classes,
  picked,
  onPick,
}: {
  classes: ClassCount[];
  picked?: number;
  onPick?: (classId: number | undefined) => void;
}) {
  return (
    <div className="space-y-1.5 text-xs">
      <div className="flex justify-between text-neutral-500">
        <span>{classes.length === 1 ? '1 class' : `${classes.length} classes`}</span>
        <span>images</span>
      </div>
      <ul data-testid="dataset-classes" className="flex max-h-40 flex-wrap gap-1.5 overflow-y-auto">
        {classes.map((c, id) => {
          const images = c.train + c.validation;
          const body = (
            <>
              <span className="truncate">{c.name}</span>
              <span className="font-mono text-neutral-400 tabular-nums">{images}</span>
            </>
          );
          const chip =
            'flex max-w-full items-center gap-1.5 rounded-full border px-2 py-0.5 ' +
            (picked === id ? 'border-sky-400/60 bg-sky-500/15 text-sky-200' : 'border-neutral-700 text-neutral-200');
          return (
            <li
              key={c.name}
              data-testid="dataset-class"
              data-class-name={c.name}
              data-images={images}
              title={`${c.name}: ${c.train} train, ${c.validation} validation`}
              className="max-w-full"
            >
              {onPick ? (
                <button
                  type="button"
                  aria-pressed={picked === id}
                  onClick={() => onPick(picked === id ? undefined : id)}
                  className={`${chip} hover:border-neutral-500`}
                >
                  {body}
                </button>
              ) : (
                <span className={chip}>{body}</span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
