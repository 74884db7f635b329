import { describe, expect, it } from "vitest";
import { appDataDir } from "./app-data-dir.js";

const linux = { platform: "linux", homedir: "/home/ada", cwd: "/work" } as const;

describe("appDataDir", () => {
  it("uses ~/.local/share on Linux without XDG_DATA_HOME", () => {
    expect(appDataDir({ ...linux, env: {} })).toBe("/home/ada/.local/share/syncline-playlists");
  });

  it("uses an absolute XDG_DATA_HOME on Linux, and ignores a relative one", () => {
    expect(appDataDir({ ...linux, env: { XDG_DATA_HOME: "/data/xdg" } })).toBe(
      "/data/xdg/syncline-playlists",
    );
    expect(appDataDir({ ...linux, env: { XDG_DATA_HOME: "xdg" } })).toBe(
      "/home/ada/.local/share/syncline-playlists",
    );
  });

  it("uses Application Support on macOS", () => {
    expect(appDataDir({ platform: "darwin", env: {}, homedir: "/Users/ada", cwd: "/" })).toBe(
      "/Users/ada/Library/Application Support/Syncline Playlists",
    );
  });

  it("uses %APPDATA% on Windows, or the roaming folder under the home without it", () => {
    const windows = { platform: "win32", homedir: "C:\\Users\\ada", cwd: "C:\\" } as const;
    expect(appDataDir({ ...windows, env: { APPDATA: "D:\\Roaming" } })).toBe(
      "D:\\Roaming\\Syncline Playlists",
    );
    expect(appDataDir({ ...windows, env: {} })).toBe(
      "C:\\Users\\ada\\AppData\\Roaming\\Syncline Playlists",
    );
  });

  it("takes SYNCLINE_PLAYLISTS_DATA_DIR over the platform folder, resolved against cwd", () => {
    const env = { SYNCLINE_PLAYLISTS_DATA_DIR: "mine", XDG_DATA_HOME: "/data/xdg" };
    expect(appDataDir({ ...linux, env })).toBe("/work/mine");
  });

  it("takes the --data-dir flag over the variable", () => {
    const env = { SYNCLINE_PLAYLISTS_DATA_DIR: "/from/env" };
    expect(appDataDir({ ...linux, env, dataDirFlag: "/from/flag" })).toBe("/from/flag");
    expect(
      appDataDir({
        platform: "win32",
        env,
        homedir: "C:\\Users\\ada",
        cwd: "C:\\work",
        dataDirFlag: "d",
      }),
    ).toBe("C:\\work\\d");
  });
});
