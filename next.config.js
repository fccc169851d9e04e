/**
 * COOP/COEP make the page cross-origin isolated, which the WASM backend needs for threads
 * (SharedArrayBuffer). sharp and better-sqlite3 are native: keep them out of bundles.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  serverExternalPackages: ['sharp', 'better-sqlite3'],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
        ],
      },
    ];
  },
};

export default nextConfig;
