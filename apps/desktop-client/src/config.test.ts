import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_FILE, DEFAULT_URL, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("defaults the URL and the file", () => {
    expect(loadConfig({ SYNCLINE_TOKEN: "t" })).toEqual({
      url: DEFAULT_URL,
      token: "t",
      file: DEFAULT_FILE,
    });
  });

  it("takes every variable it knows", () => {
    expect(
      loadConfig({
        SYNCLINE_TOKEN: "t",
        SYNCLINE_URL: "https://sync.example.com/api",
        SYNCLINE_PLAYLISTS_FILE: "/tmp/a.db",
      }),
    ).toEqual({ url: "https://sync.example.com/api", token: "t", file: "/tmp/a.db" });
  });

  it.each([{}, { SYNCLINE_TOKEN: "" }, { SYNCLINE_TOKEN: "  " }])(
    "refuses a missing token (%o), naming the variable",
    (env) => {
      const error = (() => {
        try {
          loadConfig(env);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ type: "invalid_config", variable: "SYNCLINE_TOKEN" });
    },
  );

  it("refuses a URL that is not http(s)", () => {
    expect(() => loadConfig({ SYNCLINE_TOKEN: "t", SYNCLINE_URL: "ws://x" })).toThrow(
      /SYNCLINE_URL/,
    );
  });
});
