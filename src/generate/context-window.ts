/**
 * The ContextTooLong error, worded for what can still help. Engines refuse an over-long prompt with
 * the numbers (prompt tokens, max tokens, window) before running the model; they cannot tell what
 * the prompt holds. The compare run, which knows how many passages it sent and has already left
 * passages out and cut the last one, words the error again for what is left to the user: advising
 * "fewer passages" after one passage, or "fewer max tokens" when the answer could not fit in any
 * case, sends people round in circles.
 */

import { AppError, type ErrorData } from '../core/errors';

type Numbers = ErrorData<'ContextTooLong'>;

/** An answer with less room than this is cut off too soon to be worth advising "fewer max tokens". */
export const MIN_ANSWER_TOKENS = 32;
/** A passage shorter than about this (two sentences) grounds little: smaller chunks would not help. */
export const MIN_PASSAGE_TOKENS = 48;

/** What the refused prompt held, as the caller that wrote it knows. */
export interface PromptParts {
  /** Passages in the prompt; 0 for a prompt without any (the model-only side). */
  passages: number;
  /** About how many of the prompt's tokens the passages take (their share of its characters). */
  passageTokens: number;
}

const SMALLER_CHUNKS = 'use smaller chunks (Settings → Documents → Chunk size, then rebuild the documents)';
const LONGER_WINDOW = 'choose a model with a longer context window';

/** The sentence that says what to do, given the numbers and, when known, what the prompt held. */
export function contextTooLongAdvice(n: Numbers, parts?: PromptParts): string {
  // Tokens left for the answer with this very prompt: below MIN_ANSWER_TOKENS, lowering max tokens
  // would only trade a refusal for an answer cut off after a few words.
  const room = n.contextWindow - n.promptTokens;
  const tips: string[] = [];
  if (!parts) {
    if (room >= MIN_ANSWER_TOKENS) tips.push(`set Max tokens to ${room} or fewer (next to the question)`);
    tips.push('shorten the prompt');
  } else {
    // What stays whatever the passages: the instructions and the question.
    const rest = n.promptTokens - parts.passageTokens;
    const shortest = parts.passages > 0 ? MIN_PASSAGE_TOKENS : 0;
    if (parts.passages > 1) tips.push('ask with fewer passages (Top, next to the question)');
    if (room >= MIN_ANSWER_TOKENS) tips.push(`set Max tokens to ${room} or fewer (next to the question)`);
    if (parts.passages === 1 && rest + shortest + n.maxTokens <= n.contextWindow) tips.push(SMALLER_CHUNKS);
    // Even the shortest passage and a short answer do not fit beside the question: it is the question.
    if (rest + shortest + Math.min(n.maxTokens, MIN_ANSWER_TOKENS) > n.contextWindow) tips.push('ask a shorter question');
  }
  tips.push(LONGER_WINDOW);
  const s = `${tips.slice(0, -1).join(', ')}, or ${tips.at(-1)!}`.replace(/^, or /, '');
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

/** The error, with the numbers a caller needs to shorten the prompt and the advice that fits. */
export function contextTooLong(n: Numbers, parts?: PromptParts, cause?: string): AppError<'ContextTooLong'> {
  return new AppError(
    'ContextTooLong',
    `The prompt is ${n.promptTokens} tokens and the answer may take ${n.maxTokens} more, but this model reads at most ${n.contextWindow} tokens at once. ${contextTooLongAdvice(n, parts)}`,
    { promptTokens: n.promptTokens, maxTokens: n.maxTokens, contextWindow: n.contextWindow },
    cause,
  );
}
