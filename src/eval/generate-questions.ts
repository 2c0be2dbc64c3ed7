/**
 * Question sets written by the local model from the user's own passages, for collections that have
 * no question set of their own. DOM-free: the page's Evaluate state drives it with the LLM worker's
 * client and passages sampled by the library worker, the tests with a scripted model and with the
 * generated tiny GPT-2.
 *
 * Each sampled passage is shown to the model (questionMessages, prompts.ts), which is asked for one
 * question the passage answers and its short answer. The passage becomes the question's gold
 * evidence: a run scores retrieval by whether it returns that passage (session.ts, goldScore).
 *
 * A small local model writes many questions that would measure nothing, so each one passes these
 * filters, in this order; a dropped question is counted under the first reason that applies:
 *
 * 0. 'too-long': the passage does not fit the model's context with the reply even when cut at
 *    its end (to at least MIN_CUT_CHARS characters); a passage that fits once cut is asked about
 *    as cut.
 * 1. 'empty': the model replied nothing.
 * 2. 'unparsable': the reply is not a question and an answer in the asked format
 *    (parseGeneratedQuestion).
 * 3. 'answer-in-question': the answer's normalised words appear, in order, in the question ("What
 *    did Acme buy in 2021, Bolt Inc.?"): any answer that echoes the question would score.
 * 4. 'no-key-facts': the answer has nothing the answer scores can check (keyFactScore of the
 *    answer against itself fails): it is made only of the question's own words and stop words
 *    ("The sun, not the moon." to "Which pulls the tides harder, the moon or the sun?"). The
 *    comparison's key-fact score could never credit either side on it.
 * 5. 'answer-not-in-passage': the passage does not hold the answer's key facts (keyFactScore of the
 *    passage against the answer). Kept on: the passage is the question's gold evidence, so an
 *    answer the model made up, or took from what it knows rather than from the passage, would be a
 *    wrong reference, and retrieving the gold passage would not help answer it.
 * 6. 'duplicate': the same normalised question as one already kept (passages from one document
 *    often prompt the same question).
 * 7. 'answerable-without-passage': the model, asked the question alone with the comparison's own
 *    "model only" prompt (plainMessages), already states the answer's key facts. Such a question
 *    cannot show what retrieval adds: both sides of the comparison would get it right. This filter
 *    asks the model a second time, so it runs last, on questions that passed all the others.
 *
 * Generation parameters are the caller's (deps.generate): greedy decoding (temperature 0) makes a
 * set reproducible from the same passages and model.
 */

import { isAppError, throwIfCancelled } from '../core/errors';
import type { ChatMessage } from '../generate/engine';
import { parseGeneratedQuestion, plainMessages, questionMessages } from '../generate/prompts';
import { answerTokens, keyFactScore } from './answers';
import type { EvalQuestion } from './runs';

/**
 * A passage to write a question from: the library's SampledPassage (library/protocol.ts) has this
 * shape; it is restated here because eval code does not depend on the library's protocol.
 */
export interface SampledPassage {
  docId: string;
  docName: string;
  /** Chunk position in its document: with docId, what retrieval must return to hit the gold passage. */
  ordinal: number;
  text: string;
  pages?: number[] | undefined;
}

/** Why a generated question was dropped (see the module header, in the order they are checked). */
export const DROP_REASONS = [
  'too-long',
  'empty',
  'unparsable',
  'answer-in-question',
  'no-key-facts',
  'answer-not-in-passage',
  'duplicate',
  'answerable-without-passage',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** Tries at cutting a passage to the model's context before dropping it as 'too-long'. Range 0..5; default 3. */
const MAX_CUTS = 3;
/** Tokens of room left beyond what the engine says the prompt is over (the estimate is per character). Default 16. */
const CUT_MARGIN_TOKENS = 16;
/** A passage cut below this many characters says too little to ask about: 'too-long'. Default 200. */
const MIN_CUT_CHARS = 200;

export interface GenerateQuestionsDeps {
  /** The model's reply to `messages` (the caller's engine and parameters); a cut-short reply when `signal` fires. */
  generate(messages: ChatMessage[], signal: AbortSignal): Promise<string>;
}

export interface GenerateQuestionsProgress {
  /** Passages asked so far, and how many there are. */
  done: number;
  total: number;
  /** Questions kept so far. */
  kept: number;
  /** Questions dropped so far, by reason: kept + the sum of dropped = done. */
  dropped: Record<DropReason, number>;
}

export interface GenerateQuestionsOptions {
  /** Stop once this many questions are kept (default: ask every passage). */
  target?: number | undefined;
  /** Stops generation: the call then throws `Cancelled`. */
  signal?: AbortSignal | undefined;
  /** After each passage. */
  onProgress?: ((p: GenerateQuestionsProgress) => void) | undefined;
}

export interface GeneratedQuestions {
  /** Kept questions, ids g1..gN in the order they were kept. */
  questions: EvalQuestion[];
  dropped: Record<DropReason, number>;
  /** Passages asked (fewer than given when `target` was reached first): GeneratorInfo.sampled. */
  asked: number;
}

/** Words of a text as the answer scores compare them (answers.ts), space-joined: case, punctuation and articles aside. */
const normalised = (s: string): string => answerTokens(s).join(' ');

/** The reason a parsed question is dropped before the model is asked it alone, or null. */
function checkQuestion(question: string, answer: string, passage: SampledPassage, kept: ReadonlySet<string>): DropReason | null {
  const q = normalised(question);
  const a = normalised(answer);
  if (a !== '' && ` ${q} `.includes(` ${a} `)) return 'answer-in-question';
  if (!keyFactScore(answer, answer, question).contains) return 'no-key-facts';
  if (!keyFactScore(passage.text, answer, question).contains) return 'answer-not-in-passage';
  if (kept.has(q)) return 'duplicate';
  return null;
}

/** One question per passage, filtered (see the module header); throws `Cancelled` when the signal fires. */
export async function generateQuestions(
  passages: readonly SampledPassage[],
  deps: GenerateQuestionsDeps,
  opts: GenerateQuestionsOptions = {},
): Promise<GeneratedQuestions> {
  const signal = opts.signal ?? new AbortController().signal;
  const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  const questions: EvalQuestion[] = [];
  const keptNormalised = new Set<string>();
  let asked = 0;

  const ask = async (messages: ChatMessage[]): Promise<string> => {
    const reply = await deps.generate(messages, signal);
    // Engines return the partial reply when stopped; it must not be judged.
    throwIfCancelled(signal);
    return reply;
  };

  for (const passage of passages) {
    if (opts.target !== undefined && questions.length >= opts.target) break;
    throwIfCancelled(signal);
    const reason = await (async (): Promise<DropReason | null> => {
      // What the model is shown: the passage, cut at its end when it does not fit the model's
      // context with the reply (a small model, a long chunk). Its question is then about what it
      // read; the gold passage stays the whole chunk, which is what retrieval returns.
      let shown = passage;
      let reply: string | null = null;
      for (let cuts = 0; reply === null; cuts++) {
        try {
          reply = await ask(questionMessages(shown));
        } catch (e) {
          if (!isAppError(e, 'ContextTooLong') || cuts >= MAX_CUTS) throw e;
          const { promptTokens, maxTokens, contextWindow } = e.data;
          const charsPerToken = questionMessages(shown).reduce((n, m) => n + m.content.length, 0) / Math.max(1, promptTokens);
          const keep = shown.text.length - Math.ceil((promptTokens + maxTokens - contextWindow + CUT_MARGIN_TOKENS) * charsPerToken);
          if (keep < MIN_CUT_CHARS) return 'too-long';
          const cut = shown.text.slice(0, keep);
          shown = { ...shown, text: cut.slice(0, Math.max(cut.lastIndexOf(' '), Math.floor(keep * 0.8))) };
        }
      }
      if (reply.trim() === '') return 'empty';
      const parsed = parseGeneratedQuestion(reply);
      if (!parsed) return 'unparsable';
      const early = checkQuestion(parsed.question, parsed.answer, shown, keptNormalised);
      if (early) return early;
      const plain = await ask(plainMessages(parsed.question));
      if (keyFactScore(plain, parsed.answer, parsed.question).contains) return 'answerable-without-passage';
      keptNormalised.add(normalised(parsed.question));
      questions.push({
        id: `g${questions.length + 1}`,
        question: parsed.question,
        answer: parsed.answer,
        sources: [passage.docName],
        type: 'generated',
        chunkType: '',
        gold: { docId: passage.docId, docName: passage.docName, ordinal: passage.ordinal, text: passage.text },
      });
      return null;
    })();
    if (reason) dropped[reason]++;
    asked++;
    opts.onProgress?.({ done: asked, total: passages.length, kept: questions.length, dropped: { ...dropped } });
  }
  return { questions, dropped, asked };
}
