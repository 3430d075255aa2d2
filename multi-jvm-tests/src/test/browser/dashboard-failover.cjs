// Drives the dashboard in headless Chromium (Debian's /usr/bin/chromium, via playwright-core) for
// DashboardBrowserIT. Usage:
//   node dashboard-failover.cjs <dashboard-url> <victim-address> <out-dir> <entities>
// Talks to the Java test over stdio: prints "STEP <name>" after each thing it saw, and waits for a
// line "killed" on stdin (the test kills the victim's JVM) before watching the failover.
"use strict";
const { chromium } = require("playwright-core");
const readline = require("readline");
const path = require("path");

const [url, victim, outDir, entitiesArg] = process.argv.slice(2);
const entities = Number(entitiesArg);
const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
lines.on("line", line => { const next = waiting.shift(); if (next) next(line.trim()); });
const nextLine = () => new Promise(resolve => waiting.push(resolve));

async function summary(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("tr.node")]
      .map(row => `${row.dataset.address} ${row.dataset.status} reachable=${row.dataset.reachable}`
        + ` entities=${row.querySelector("td.entities b").textContent}`)
      .join("; "));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", error => console.log("PAGE-ERROR " + error.message));
    await page.goto(url);

    // three nodes Up and reachable, with the test's entities counted on them
    const totalEntities = () => [...document.querySelectorAll("tr.node td.entities b")]
      .reduce((sum, b) => sum + (Number(b.textContent) || 0), 0);
    await page.waitForFunction(
      ([count, total]) => document.querySelectorAll('tr.node[data-status="Up"][data-reachable="true"]').length === 3
        && eval(total)() >= count,
      [entities, totalEntities.toString()], { timeout: 60000, polling: 200 });
    await page.screenshot({ path: path.join(outDir, "1-three-nodes-up.png"), fullPage: true });
    console.log("STEP three-nodes " + await summary(page));

    const answer = await nextLine();
    if (answer !== "killed") throw new Error("expected 'killed' from the test, got " + answer);

    await page.waitForFunction(
      address => !!document.querySelector(`tr.node[data-address="${address}"][data-reachable="false"]`),
      victim, { timeout: 60000, polling: 200 });
    await page.screenshot({ path: path.join(outDir, "2-victim-unreachable.png"), fullPage: true });
    console.log("STEP unreachable " + await summary(page));

    await page.waitForFunction(
      address => !document.querySelector(`tr.node[data-address="${address}"]`)
        && document.querySelectorAll('tr.node[data-status="Up"][data-reachable="true"]').length === 2
        && !!document.querySelector('.ev[data-kind="member-removed"]'),
      victim, { timeout: 90000, polling: 200 });
    await page.screenshot({ path: path.join(outDir, "3-victim-gone.png"), fullPage: true });
    const timeline = await page.evaluate(() =>
      [...document.querySelectorAll(".ev")].map(ev => ev.dataset.kind).join(","));
    console.log("STEP gone " + await summary(page) + " | timeline " + timeline);

    // remember-entities restarts the victim's entities on the survivors: the counts add up again
    await page.waitForFunction(
      ([count, total]) => eval(total)() >= count,
      [entities, totalEntities.toString()], { timeout: 90000, polling: 200 });
    await page.screenshot({ path: path.join(outDir, "4-entities-back.png"), fullPage: true });
    console.log("STEP healed " + await summary(page));
  } finally {
    await browser.close();
    lines.close();
  }
})().catch(error => {
  console.log("FAIL " + (error && error.stack ? error.stack.split("\n").slice(0, 3).join(" ") : error));
  process.exit(1);
});
