import { shopgraph } from "@/lib/shopgraph/fetch";
import { CategoryTreeQuery } from "./operations";

export async function getCategoryTree() {
  const { data } = await shopgraph(CategoryTreeQuery, {}, { tags: ["categories"] });
  return data?.categories ?? [];
}
