import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { catalogue, catalogueFiles } from "./catalogue";

const zhCN = catalogue("zh-CN");
const en = catalogue("en");

const SRC = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gql" || name === "test" ? [] : sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Attributes people read: their literal values must come from t() as well. */
const READ_ATTRIBUTES = new Set(["title", "placeholder", "aria-label", "alt", "label", "description", "tooltip"]);
/** Text that is not language: symbols, digits, punctuation. */
const NOT_LANGUAGE = /^[\s\d\p{P}\p{S}]*$/u;

interface Literal {
  file: string;
  line: number;
  text: string;
}

function literals(file: string): Literal[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: Literal[] = [];
  const where = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && !NOT_LANGUAGE.test(node.text)) {
      found.push({ file: relative(SRC, file), line: where(node), text: node.text.trim() });
    }
    if (ts.isJsxAttribute(node) && READ_ATTRIBUTES.has(node.name.getText(source))) {
      const init = node.initializer;
      const value =
        init && ts.isStringLiteral(init)
          ? init.text
          : init && ts.isJsxExpression(init) && init.expression && ts.isStringLiteralLike(init.expression)
            ? init.expression.text
            : null;
      if (value !== null && !NOT_LANGUAGE.test(value)) {
        found.push({ file: relative(SRC, file), line: where(node), text: value });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function usedKeys(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/\bt\(\s*"([^"$]+)"/g)].map((m) => m[1] as string);
}

describe("locales", () => {
  it("zh-CN and en have the same keys", () => {
    const zh = Object.keys(zhCN).sort();
    const english = Object.keys(en).sort();
    expect(zh.filter((k) => !english.includes(k))).toEqual([]);
    expect(english.filter((k) => !zh.includes(k))).toEqual([]);
  });

  it("each area file has its twin with the same keys, and no key is defined twice", () => {
    const zhFiles = catalogueFiles("zh-CN");
    const enFiles = catalogueFiles("en");
    const twin = (path: string) => path.replace(/zh-CN\.json$/, "en.json");
    expect(Object.keys(zhFiles).map(twin).sort()).toEqual(Object.keys(enFiles).sort());
    for (const [path, texts] of Object.entries(zhFiles)) {
      expect({ path, keys: Object.keys(texts).sort() }).toEqual({ path, keys: Object.keys(enFiles[twin(path)] ?? {}).sort() });
    }
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [path, texts] of Object.entries(zhFiles)) {
      for (const key of Object.keys(texts)) {
        if (seen.has(key)) twice.push(`${key} in ${seen.get(key)} and ${path}`);
        seen.set(key, path);
      }
    }
    expect(twice).toEqual([]);
  });

  it("has no empty text", () => {
    for (const catalogue of [zhCN, en] as Record<string, string>[]) {
      expect(Object.entries(catalogue).filter(([, v]) => !v.trim())).toEqual([]);
    }
  });

  it("every literal key the code asks t() for exists", () => {
    const keys = new Set(Object.keys(zhCN));
    const missing = sources(SRC).flatMap((file) => usedKeys(file).filter((k) => !keys.has(k)).map((k) => `${relative(SRC, file)}: ${k}`));
    expect(missing).toEqual([]);
  });

  it("no JSX text or read attribute escapes t()", () => {
    const found = sources(SRC).filter((f) => f.endsWith(".tsx")).flatMap(literals);
    expect(found.map((l) => `${l.file}:${l.line} ${JSON.stringify(l.text)}`)).toEqual([]);
  });

  it("the scanner finds what it must", () => {
    const probe = join(import.meta.dirname, "..", "test", "probe.fixture.tsx.txt");
    const hits = literals(probe).map((l) => l.text);
    expect(hits).toEqual(["Search firms", "Hello", "名称"]);
  });
});
