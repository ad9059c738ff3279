// Reads the project's vector files (vectors/*.json, the same files the C# tests use) as flat (group, vector) pairs.
import { readFileSync } from 'node:fs';

export function loadVectors(file) {
  const data = JSON.parse(readFileSync(new URL(`../../vectors/${file}`, import.meta.url), 'utf8'));
  return data.testGroups.flatMap((group) => group.tests.map((vector) => ({ group, vector, data })));
}
