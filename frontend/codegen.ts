import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents from the platform's exported schema (`make schema` refreshes it).
const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: ["src/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: "string",
          Date: "string",
          Decimal: "string",
          JSON: "unknown",
        },
      },
    },
  },
};

export default config;
