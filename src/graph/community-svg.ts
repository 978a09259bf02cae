import type { Community } from './communities.js';
import type { GraphEntity, GraphRelation } from './graph-index.js';

const SIZE = 640;
const LABELLED = 24;
const MAX_NODES = 150;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A community drawn as a circle of its entities (the most connected first, clockwise from the
 * top; node area by mentions), with its internal relations as lines whose opacity follows their
 * weight; the best-connected entities are labelled. Large communities show their top MAX_NODES.
 */
export function communitySvg(community: Community, entities: Map<string, GraphEntity>, relations: GraphRelation[], title: string): string {
  const members = new Set(community.members);
  const inside = relations.filter((r) => members.has(r.source) && members.has(r.target));
  const degree = new Map(community.members.map((m) => [m, 0]));
  for (const r of inside) {
    degree.set(r.source, degree.get(r.source)! + r.weight);
    degree.set(r.target, degree.get(r.target)! + r.weight);
  }
  const shown = [...community.members].sort((a, b) => degree.get(b)! - degree.get(a)! || a.localeCompare(b)).slice(0, MAX_NODES);
  const centre = SIZE / 2;
  const radius = SIZE / 2 - 90;
  const position = new Map(shown.map((id, i) => {
    const angle = (2 * Math.PI * i) / shown.length - Math.PI / 2;
    return [id, { x: centre + radius * Math.cos(angle), y: centre + radius * Math.sin(angle), angle }];
  }));
  const maxWeight = Math.max(1e-9, ...inside.map((r) => r.weight));
  const maxMentions = Math.max(1, ...shown.map((id) => entities.get(id)?.mentions ?? 1));
  const lines = inside
    .filter((r) => position.has(r.source) && position.has(r.target))
    .map((r) => {
      const a = position.get(r.source)!;
      const b = position.get(r.target)!;
      return `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="#4a6fa5" stroke-opacity="${(0.15 + 0.85 * (r.weight / maxWeight)).toFixed(2)}"/>`;
    });
  const nodes = shown.map((id, i) => {
    const p = position.get(id)!;
    const entity = entities.get(id);
    const r = 3 + 9 * Math.sqrt((entity?.mentions ?? 1) / maxMentions);
    const circle = `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="${r.toFixed(1)}" fill="#e07a5f"><title>${esc(entity?.name ?? id)} (${esc(entity?.type ?? '')}, ${entity?.mentions ?? 0} mentions)</title></circle>`;
    if (i >= LABELLED) return circle;
    const right = Math.cos(p.angle) >= 0;
    const lx = p.x + (right ? 1 : -1) * (r + 4);
    return `${circle}<text x="${lx.toFixed(1)}" y="${(p.y + 4).toFixed(1)}" text-anchor="${right ? 'start' : 'end'}" font-size="11" font-family="sans-serif">${esc(entity?.name ?? id)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-size="14" font-family="sans-serif" font-weight="bold">${esc(`${community.id}: ${title}`)}</text>`,
    `<text x="12" y="40" font-size="11" font-family="sans-serif">${community.members.length} entities, ${inside.length} relations${community.members.length > shown.length ? ` (top ${shown.length} shown)` : ''}</text>`,
    ...lines,
    ...nodes,
    '</svg>',
  ].join('\n');
}
