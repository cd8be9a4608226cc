// What every client driver shares: where cortex is, the question, the tool's answer, and one JSON line of result.
export const URL = process.env.CORTEX_URL;
export const KEY = process.env.CORTEX_KEY ?? 'none';
export const MODEL = process.env.CORTEX_MODEL;
export const QUESTION = 'What is the weather in Paris?';
export const WEATHER = 'Weather: sunny, 21 C';

/** The tool's calls as the client's own loop executed them. */
export const executed = [];
export function getWeather(input) {
  executed.push(input);
  return WEATHER;
}

/** Prints what the client ended with: the final text, the calls it made, and what it reported of usage. */
export function report(result) {
  process.stdout.write(`${JSON.stringify({ ...result, executed })}\n`);
}
