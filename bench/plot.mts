/**
 * The benchmark's plot: wall time of each step against mesh size, the openssl script beside the product,
 * on log-log axes so that linear and quadratic growth read as straight lines of slope 1 and 2. Vega-Lite
 * renders it to SVG and resvg to PNG, with no browser or canvas.
 */
import { writeFile } from "node:fs/promises";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export interface PlotPoint {
  services: number;
  seconds: number;
  step: string;
}

export async function plotPng(points: PlotPoint[], title: string, file: string): Promise<void> {
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 640,
    height: 400,
    data: { values: points },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "services",
        type: "quantitative",
        scale: { type: "log" },
        axis: { values: [...new Set(points.map((p) => p.services))] },
        title: "services in the mesh (log scale)",
      },
      y: {
        field: "seconds",
        type: "quantitative",
        scale: { type: "log" },
        title: "wall time, seconds (log scale)",
      },
      color: { field: "step", type: "nominal", title: "step" },
      strokeDash: {
        condition: { test: "datum.step === 'openssl script'", value: [6, 4] },
        value: [1, 0],
      },
    },
    config: { font: "DejaVu Sans" },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: 1.5 },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  })
    .render()
    .asPng();
  await writeFile(file, png);
}
