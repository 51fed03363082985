import Link from "next/link";

export default function NotFound() {
  return (
    <section className="flex flex-col gap-3">
      <h1 className="text-2xl font-semibold">We could not find that page</h1>
      <Link href="/" className="underline">Back to the shop</Link>
    </section>
  );
}
