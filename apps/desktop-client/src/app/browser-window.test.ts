import { describe, expect, it } from "vitest";
import { findChromium, windowCommand } from "./browser-window.js";

const existing = (...files: string[]) => {
  const set = new Set(files);
  return (file: string) => set.has(file);
};

describe("findChromium", () => {
  it("takes SYNCLINE_BROWSER as is", () => {
    const env = { SYNCLINE_BROWSER: "/opt/my/chrome", PATH: "/usr/bin" };
    expect(findChromium({ platform: "linux", env, exists: existing("/usr/bin/chromium") })).toBe(
      "/opt/my/chrome",
    );
  });

  it("finds Chromium before Chrome in PATH on Linux", () => {
    const env = { PATH: "/usr/local/bin:/usr/bin" };
    const exists = existing("/usr/bin/google-chrome", "/usr/bin/chromium-browser");
    expect(findChromium({ platform: "linux", env, exists })).toBe("/usr/bin/chromium-browser");
    expect(
      findChromium({ platform: "linux", env, exists: existing("/usr/local/bin/google-chrome") }),
    ).toBe("/usr/local/bin/google-chrome");
  });

  it("searches the usual folders on Linux when PATH is unset", () => {
    expect(
      findChromium({ platform: "linux", env: {}, exists: existing("/snap/bin/chromium") }),
    ).toBe("/snap/bin/chromium");
  });

  it("finds Chrome in /Applications or ~/Applications on macOS", () => {
    const inHome = "/Users/ada/Applications/Chromium.app/Contents/MacOS/Chromium";
    expect(
      findChromium({ platform: "darwin", env: { HOME: "/Users/ada" }, exists: existing(inHome) }),
    ).toBe(inHome);
    const system = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    expect(findChromium({ platform: "darwin", env: {}, exists: existing(inHome, system) })).toBe(
      system,
    );
  });

  it("finds Chrome, else Edge, in the program folders on Windows", () => {
    const env = {
      LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local",
      ProgramFiles: "C:\\Program Files",
      "ProgramFiles(x86)": "C:\\Program Files (x86)",
    };
    const chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
    const edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
    expect(findChromium({ platform: "win32", env, exists: existing(edge, chrome) })).toBe(chrome);
    expect(findChromium({ platform: "win32", env, exists: existing(edge) })).toBe(edge);
  });

  it("is undefined when no browser exists", () => {
    expect(findChromium({ platform: "linux", env: { PATH: "/usr/bin" }, exists: existing() })).toBe(
      undefined,
    );
  });
});

describe("windowCommand", () => {
  const url = "http://127.0.0.1:4100/?secret=abc";

  it("opens an app-mode window on the app's own profile with a Chromium", () => {
    expect(
      windowCommand({
        url,
        browser: "/usr/bin/chromium",
        profileDir: "/d/browser-profile",
        platform: "linux",
      }),
    ).toEqual({
      command: "/usr/bin/chromium",
      args: [
        `--app=${url}`,
        "--user-data-dir=/d/browser-profile",
        "--no-first-run",
        "--no-default-browser-check",
      ],
    });
  });

  it("falls back to the system browser on each platform", () => {
    const without = { url, browser: undefined, profileDir: "/d/p" };
    expect(windowCommand({ ...without, platform: "linux" })).toEqual({
      command: "xdg-open",
      args: [url],
    });
    expect(windowCommand({ ...without, platform: "darwin" })).toEqual({
      command: "open",
      args: [url],
    });
    expect(windowCommand({ ...without, platform: "win32" })).toEqual({
      command: "cmd",
      args: ["/c", "start", "", url],
    });
  });
});
