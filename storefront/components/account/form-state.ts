export interface FormState {
  message?: string;
  notice?: string;
  fields?: Record<string, string>;
  values?: Record<string, string>;
}

export const emptyForm: FormState = {};
