/**
 * Keeps a model's "thinking" out of its answer. Reasoning models (DeepSeek-R1 and its distills,
 * Qwen3, QwQ, gpt-oss) write a chain of thought before answering. Servers hand it over in one of
 * three ways: a separate delta field (`reasoning_content`: DeepSeek's API, llama-server, vLLM up to
 * 0.19; `reasoning`: Ollama, vLLM 0.19.1+, OpenRouter), which the engine reads apart; or inline
 * in the text between `<think>` and `</think>` (a server without a reasoning parser), which this
 * splitter takes out of the stream as it arrives, tags cut across deltas included.
 *
 * The answer pane, the citations and every score read only the answer: a thought that mentions
 * passage [3] is not a citation, and a thought is not what the model answered.
 *
 * One case cannot be split while streaming: templates that open the `<think>` block inside the
 * prompt (R1 distills behind a server without a parser) stream only its end, `</think>`. Until it
 * comes the text looks like an answer, and has already been streamed as one; `finish()` then moves
 * everything before it to the reasoning, so the final result is right even where the stream was not.
 */

const OPEN = '<think>';
const CLOSE = '</think>';

/** How long a suffix of `text` is a proper prefix of `tag` (a tag that may be completed by the next delta). */
function partialTag(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (tag.startsWith(text.slice(-n))) return n;
  }
  return 0;
}

export interface Split {
  answer: string;
  reasoning: string;
}

export class ReasoningSplitter {
  private inside = false;
  /** Text held back because it may be the start of a tag. */
  private pending = '';
  /** After a closing tag the answer's leading blank lines are dropped. */
  private trimStart = false;
  private opened = false;
  answer = '';
  reasoning = '';

  /** Feeds one delta; returns what it adds to the answer and to the reasoning (either may be ''). */
  push(delta: string): Split {
    let text = this.pending + delta;
    this.pending = '';
    const out: Split = { answer: '', reasoning: '' };
    for (;;) {
      if (this.inside) {
        const end = text.indexOf(CLOSE);
        if (end >= 0) {
          out.reasoning += text.slice(0, end);
          text = text.slice(end + CLOSE.length);
          this.inside = false;
          this.trimStart = true;
          continue;
        }
        const keep = partialTag(text, CLOSE);
        out.reasoning += text.slice(0, text.length - keep);
        this.pending = text.slice(text.length - keep);
        break;
      }
      const start = text.indexOf(OPEN);
      // An unopened `</think>`: the template opened the block in the prompt (see the header).
      const end = this.opened ? -1 : text.indexOf(CLOSE);
      if (end >= 0 && (start < 0 || end < start)) {
        // Only on a push's first pass (every later pass follows a tag, which sets `opened`), so
        // the answer so far precedes this text: all of it was reasoning.
        this.reasoning += this.answer;
        this.answer = '';
        out.reasoning += text.slice(0, end);
        this.opened = true;
        this.trimStart = true;
        text = text.slice(end + CLOSE.length);
        continue;
      }
      if (start >= 0) {
        this.addAnswer(out, text.slice(0, start));
        text = text.slice(start + OPEN.length);
        this.inside = true;
        this.opened = true;
        continue;
      }
      const keep = Math.max(partialTag(text, OPEN), this.opened ? 0 : partialTag(text, CLOSE));
      this.addAnswer(out, text.slice(0, text.length - keep));
      this.pending = text.slice(text.length - keep);
      break;
    }
    this.reasoning += out.reasoning;
    return out;
  }

  /** Reasoning that came in its own field (not inline). */
  pushReasoning(text: string): void {
    this.reasoning += text;
  }

  /** The end of the stream: text held back as a possible tag is what it looked like. */
  finish(): Split {
    const rest = this.pending;
    this.pending = '';
    const out: Split = { answer: '', reasoning: '' };
    if (this.inside) {
      out.reasoning = rest;
      this.reasoning += rest;
    } else this.addAnswer(out, rest);
    return out;
  }

  private addAnswer(out: Split, text: string): void {
    let t = text;
    if (this.trimStart) {
      t = t.replace(/^\s+/, '');
      if (t) this.trimStart = false;
    }
    out.answer += t;
    this.answer += t;
  }
}
