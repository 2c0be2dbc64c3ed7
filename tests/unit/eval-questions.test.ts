/**
 * Importing a question set with an editable column mapping: the file read as a table, the mapping
 * guessed from its column names, questions built under the guessed or a user-chosen mapping, and
 * every bad row named where a user finds it (spreadsheet rows, JSON entries, JSON-lines lines).
 */
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import {
  detectMapping,
  parseQuestions,
  questionsFromTable,
  readQuestionTable,
  type ColumnMapping,
  type QuestionTable,
} from '../../src/eval/questions';

/** The message of the InvalidRequest error `f` throws (fails when it throws anything else, or nothing). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isAppError(e, 'InvalidRequest')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected an InvalidRequest error');
}

describe('column mapping', () => {
  it('recognises the usual names, case-, space- and underscore-insensitively, and leaves the rest unmapped', () => {
    expect(detectMapping(['Question', 'Source Docs', 'Question Type', 'Source Chunk Type', 'Answer'])).toEqual({
      question: 'Question',
      answer: 'Answer',
      sources: 'Source Docs',
      type: 'Question Type',
      chunkType: 'Source Chunk Type',
    });
    expect(detectMapping(['query', 'reference_answer', 'DOCS', 'chunk-type', 'notes'])).toEqual({
      question: 'query',
      answer: 'reference_answer',
      sources: 'DOCS',
      type: null,
      chunkType: 'chunk-type',
    });
    expect(detectMapping(['Prompt', 'Expected'])).toEqual({ question: null, answer: null, sources: null, type: null, chunkType: null });
  });

  it('reads a CSV as columns and all its rows, and builds the questions under a remapped column', () => {
    const csv = 'Prompt,Expected,Files,Notes\nWhat were sales?,"$1,234 million",a.pdf; b.pdf,x\nWho is CEO?,Jane Roe,,\n';
    const table = readQuestionTable(csv, 'mine.csv');
    expect(table.format).toBe('csv');
    expect(table.columns).toEqual(['Prompt', 'Expected', 'Files', 'Notes']);
    expect(table.rows).toEqual([
      { Prompt: 'What were sales?', Expected: '$1,234 million', Files: 'a.pdf; b.pdf', Notes: 'x' },
      { Prompt: 'Who is CEO?', Expected: 'Jane Roe', Files: '', Notes: '' },
    ]);
    expect(table.mapping.question).toBeNull();
    expect(refusal(() => questionsFromTable(table, table.mapping, 'mine.csv'))).toBe(
      'mine.csv is not a question set: it has no "Question" column and no "Answer" column: choose the column that holds each.',
    );
    expect(refusal(() => questionsFromTable(table, { ...table.mapping, question: 'Prompt' }, 'mine.csv'))).toMatch(
      /it has no "Answer" column: choose the column that holds it\.$/,
    );

    const mapping: ColumnMapping = { question: 'Prompt', answer: 'Expected', sources: 'Files', type: 'Notes', chunkType: null };
    expect(questionsFromTable(table, mapping, 'mine.csv')).toEqual([
      { id: 'q1', question: 'What were sales?', answer: '$1,234 million', sources: ['a.pdf', 'b.pdf'], type: 'x', chunkType: '' },
      { id: 'q2', question: 'Who is CEO?', answer: 'Jane Roe', sources: [], type: '', chunkType: '' },
    ]);
    expect(refusal(() => questionsFromTable(table, { ...mapping, sources: 'Docs' }, 'mine.csv'))).toBe(
      'mine.csv is not a question set: it has no column "Docs" (chosen for Source docs).',
    );
    expect(refusal(() => questionsFromTable(table, { ...mapping, answer: 'Prompt' }, 'mine.csv'))).toMatch(
      /the column "Prompt" is chosen for both Question and Answer/,
    );
  });

  it('lists the bad rows as a spreadsheet numbers them (header = row 1, blank rows counted but skipped)', () => {
    const csv = [
      'Question,Answer',
      'Q one?,A one.', // row 2
      '', // row 3: blank, skipped
      'Q three?,', // row 4
      ',A four.', // row 5
      ' , ', // row 6: blank, skipped
      'Q six?,A six.', // row 7
      ',', // row 8: blank, skipped
      ',', // row 9
    ].join('\n');
    const table = readQuestionTable(csv, 'questions.csv');
    expect(table.rows).toHaveLength(4);
    expect(table.positions).toEqual([2, 4, 5, 7]);
    expect(refusal(() => questionsFromTable(table, table.mapping, 'questions.csv'))).toBe(
      'questions.csv is not a question set: row 4 (“Q three?”) has no reference answer; row 5 has no question.',
    );

    const many = ['Question,Answer', 'Fine?,Yes.', ...Array.from({ length: 8 }, (_, i) => `Q${i}?,`), ',A.'].join('\n');
    expect(refusal(() => parseQuestions(many, 'many.csv'))).toBe(
      'many.csv is not a question set: row 3 (“Q0?”) has no reference answer; row 4 (“Q1?”) has no reference answer; ' +
        'row 5 (“Q2?”) has no reference answer; row 6 (“Q3?”) has no reference answer; row 7 (“Q4?”) has no reference answer (and 4 more).',
    );
  });

  it('numbers rows by record, so a multi-line cell is one row', () => {
    const csv = 'Question,Answer\n"Two\nlines?",Yes.\nNo answer?,\n';
    expect(refusal(() => parseQuestions(csv, 'q.csv'))).toBe('q.csv is not a question set: row 3 (“No answer?”) has no reference answer.');
  });

  it('reports a row with more cells than the header (an unquoted comma) instead of cutting its answer short', () => {
    const csv = 'Question,Answer\nSales?,$1,234 million\nTrailing empty cells?,Fine.,,\n';
    expect(refusal(() => parseQuestions(csv, 'q.csv'))).toBe(
      'q.csv is not a question set: row 2 has more cells than the header (a delimiter inside an unquoted cell?).',
    );
    expect(parseQuestions('Question,Answer\nTrailing empty cells?,Fine.,,\n', 'q.csv')).toHaveLength(1);
  });

  it('reports an unterminated quote with its row, and its line where they differ', () => {
    expect(refusal(() => parseQuestions('Question,Answer\nA?,B.\nC?,"open\nE?,F.\n', 'q.csv'))).toBe(
      'q.csv is not a question set: row 3: Quoted field unterminated.',
    );
    expect(refusal(() => parseQuestions('Question,Answer\n"Two\nlines?",B.\nC?,"open\n', 'q.csv'))).toBe(
      'q.csv is not a question set: row 3 (line 4 of the file): Quoted field unterminated.',
    );
  });

  it('reads a byte-order mark, semicolon-separated CSV and TSV', () => {
    const semi = readQuestionTable('\uFEFFQuestion;Answer;Sources\nHow much?;"1,5 million";a.pdf, b.pdf\n', 'export.csv');
    expect(semi.columns).toEqual(['Question', 'Answer', 'Sources']);
    expect(questionsFromTable(semi, semi.mapping, 'export.csv')).toEqual([
      { id: 'q1', question: 'How much?', answer: '1,5 million', sources: ['a.pdf', 'b.pdf'], type: '', chunkType: '' },
    ]);
    const tsv = readQuestionTable('\uFEFFquestion\tanswer\nWhy?\tBecause, mostly.\n', 'set.tsv');
    expect(questionsFromTable(tsv, tsv.mapping, 'set.tsv')[0]).toMatchObject({ question: 'Why?', answer: 'Because, mostly.' });
  });

  it('reads JSON as a table: union of keys, arrays joined, numbers as text; bad entries named by number', () => {
    const json = JSON.stringify({
      questions: [
        { question: 'Q1?', answer: 42, sources: ['*a*', '*b*'] },
        { question: 'Q2?', answer: 'A2.', chunkType: 'Table', extra: null },
        { question: '', answer: 'A3.' },
        { question: 'Q4?' },
      ],
    });
    const table: QuestionTable = readQuestionTable(json, 'set.json');
    expect(table.format).toBe('json');
    expect(table.columns).toEqual(['question', 'answer', 'sources', 'chunkType', 'extra']);
    expect(table.rows[0]).toEqual({ question: 'Q1?', answer: '42', sources: '*a*; *b*' });
    expect(table.mapping).toEqual({ question: 'question', answer: 'answer', sources: 'sources', type: null, chunkType: 'chunkType' });
    expect(refusal(() => questionsFromTable(table, table.mapping, 'set.json'))).toBe(
      'set.json is not a question set: entry 3 has no question; entry 4 (“Q4?”) has no reference answer.',
    );
    const good = readQuestionTable(JSON.stringify(JSON.parse(json).questions.slice(0, 2)), 'set.json');
    expect(questionsFromTable(good, good.mapping, 'set.json')).toEqual([
      { id: 'q1', question: 'Q1?', answer: '42', sources: ['*a*', '*b*'], type: '', chunkType: '' },
      { id: 'q2', question: 'Q2?', answer: 'A2.', sources: [], type: '', chunkType: 'Table' },
    ]);
    expect(refusal(() => questionsFromTable(good, { ...good.mapping, answer: null }, 'set.json'))).toMatch(/no "Answer" field/);
  });

  it('reads JSON lines, naming bad ones by line', () => {
    const table = readQuestionTable('{"query":"A?","reference":"B."}\n\n{"query":"C?"}\n', 'set.jsonl');
    expect(table.format).toBe('jsonl');
    expect(table.positions).toEqual([1, 3]);
    expect(refusal(() => questionsFromTable(table, table.mapping, 'set.jsonl'))).toBe(
      'set.jsonl is not a question set: line 3 (“C?”) has no reference answer.',
    );
    expect(refusal(() => readQuestionTable('{"question":"A?"}\n[1]\n', 'set.jsonl'))).toMatch(/line 2 is not an object/);
  });

  it('tells CSV from JSON by the first character when the name does not say', () => {
    expect(readQuestionTable('[{"question":"A?","answer":"B."}]', 'pasted').format).toBe('json');
    expect(readQuestionTable('Question,Answer\nA?,B.\n', 'pasted.txt').format).toBe('csv');
  });
});
