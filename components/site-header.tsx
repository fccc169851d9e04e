import Link from 'next/link';
import { NavLink } from './nav-link';

/** Only pages that exist are linked; add Train and Gallery here when their routes land. */
const NAV_ITEMS = [
  { href: '/', label: 'Studio' },
  { href: '/datasets', label: 'Datasets' },
  { href: '/train', label: 'Train' },
  { href: '/gallery', label: 'Gallery' },
  { href: '/diagnostics', label: 'Diagnostics' },
] as const;

export function SiteHeader() {
  return (
    <header className="sticky top-0 z-10 border-b border-neutral-800 bg-neutral-950/85 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-6 px-6">
        <Link href="/" className="flex items-center gap-2 text-sm font-semibold tracking-tight text-white">
          <PixelMark />
          Reformer Studio
        </Link>
        <nav aria-label="Main" className="flex min-w-0 items-center gap-1 overflow-x-auto">
          {NAV_ITEMS.map((item) => (
            <NavLink key={item.href} href={item.href}>
              {item.label}
            </NavLink>
          ))}
        </nav>
      </div>
    </header>
  );
}

/** A 3×3 pixel glyph: the product generates images one pixel at a time. */
function PixelMark() {
  const on = [0, 1, 3, 4, 5, 7, 8];
  return (
    <svg width="18" height="18" viewBox="0 0 3 3" aria-hidden="true" shapeRendering="crispEdges">
      {Array.from({ length: 9 }, (_, i) => (
        <rect
          key={i}
          x={i % 3}
          y={Math.floor(i / 3)}
          width="1"
          height="1"
          className={on.includes(i) ? 'fill-emerald-400' : 'fill-neutral-700'}
        />
      ))}
    </svg>
  );
}
