"use client";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <section className="flex flex-col gap-3">
      <h1 className="text-2xl font-semibold">Something went wrong on our side</h1>
      <button type="button" onClick={reset} className="self-start underline">Try again</button>
    </section>
  );
}
