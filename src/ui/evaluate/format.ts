/** How the Evaluate view writes its figures: shares as whole percents, means of 0..1 scores with two decimals. */

export const pct = (x: number): string => `${Math.round(x * 100)}%`;

export const dec = (x: number): string => x.toFixed(2);
