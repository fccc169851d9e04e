export default function Home() {
  return (
    <main className="mx-auto max-w-4xl p-8">
      <h1 className="text-3xl font-semibold">Reformer Studio</h1>
      <p className="mt-2 text-neutral-400">Images as sequences of pixels, generated in your browser.</p>
    </main>
  );
}
