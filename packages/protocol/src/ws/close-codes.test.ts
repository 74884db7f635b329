import { describe, expect, it } from "vitest";
import { CLOSE_CODE, CLOSE_RECOVERY, closeRecovery } from "./close-codes.js";

describe("close codes (R35)", () => {
  it("gives every close code of the protocol its recovery", () => {
    expect(closeRecovery(CLOSE_CODE.goingAway)).toBe("reconnect");
    expect(closeRecovery(CLOSE_CODE.slowConsumer)).toBe("reconnect");
    expect(closeRecovery(CLOSE_CODE.serverError)).toBe("reconnect");
    expect(closeRecovery(CLOSE_CODE.policyViolation)).toBe("stop");
    expect(closeRecovery(CLOSE_CODE.messageTooBig)).toBe("stop");
    expect(closeRecovery(CLOSE_CODE.tokenExpired)).toBe("reauthenticate");
    expect(closeRecovery(CLOSE_CODE.resyncRequired)).toBe("reset");
    expect(Object.keys(CLOSE_RECOVERY).map(Number).sort()).toEqual(
      Object.values(CLOSE_CODE).sort(),
    );
  });

  it("reconnects on any other code, or none (a network drop, a proxy)", () => {
    for (const code of [undefined, 1006, 1012, 4000, 4999]) {
      expect(closeRecovery(code)).toBe("reconnect");
    }
  });
});
