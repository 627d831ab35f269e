import { describe, expect, it } from "vitest";
import { rowsPerPage, rowWindow, scrollToReveal } from "./virtual";

describe("rowWindow", () => {
  it("covers the viewport plus overscan, clamped to the list", () => {
    expect(rowWindow(0, 440, 44, 10_000, 5)).toEqual({ first: 0, end: 15 });
    expect(rowWindow(4400, 440, 44, 10_000, 5)).toEqual({ first: 95, end: 115 });
  });
  it("ends exactly at the last row when scrolled to the bottom", () => {
    const count = 10_000;
    const bottom = count * 44 - 440;
    expect(rowWindow(bottom, 440, 44, count, 5)).toEqual({ first: 9985, end: 10_000 });
  });
  it("handles a partial row at the top", () => {
    expect(rowWindow(50, 100, 44, 100, 0)).toEqual({ first: 1, end: 4 });
  });
  it("is empty for an empty list and never negative", () => {
    expect(rowWindow(0, 500, 44, 0)).toEqual({ first: 0, end: 0 });
    expect(rowWindow(-100, 500, 44, 3, 2)).toEqual({ first: 0, end: 3 });
  });
  it("survives a scrollTop past the end (the list just shrank)", () => {
    expect(rowWindow(1_000_000, 440, 44, 20, 2)).toEqual({ first: 17, end: 20 });
  });
  it("keeps the DOM small however long the list", () => {
    const w = rowWindow(123_456, 700, 44, 1_000_000);
    expect(w.end - w.first).toBeLessThan(40);
  });
});

describe("scrollToReveal", () => {
  it("does not move when the row is visible", () => {
    expect(scrollToReveal(3, 0, 440, 44)).toBe(0);
  });
  it("moves up to a row above", () => {
    expect(scrollToReveal(2, 440, 440, 44)).toBe(88);
  });
  it("moves down just enough for a row below", () => {
    expect(scrollToReveal(10, 0, 440, 44)).toBe(44);
  });
});

describe("rowsPerPage", () => {
  it("keeps one row of context and is at least one", () => {
    expect(rowsPerPage(440, 44)).toBe(9);
    expect(rowsPerPage(10, 44)).toBe(1);
  });
});
