import type { Metadata } from "next";
import { RegisterForm } from "@/components/account/AccountForms";

export const metadata: Metadata = { title: "Create an account", robots: { index: false } };

export default async function RegisterPage(props: PageProps<"/register">) {
  const params = await props.searchParams;
  const next = typeof params.next === "string" ? params.next : "/";
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Create an account</h1>
      <p className="text-stone-600">Anything in your cart comes with you.</p>
      <RegisterForm next={next} />
    </section>
  );
}
