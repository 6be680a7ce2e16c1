/**
 * The double rating on a reply's page: the ratings the viewer may see (blind as
 * `GET /v1/replies/:id/ratings`: `src/flow/rating-views.ts`), and an auditor's own rating form,
 * which saves through the same flow as `PUT /v1/replies/:id/ratings/mine`.
 */
import { CRITERIA, CRITERION_MAX, type CriterionId } from '../../audit/score.ts';
import type { GradeChange } from '../../flow/rate-reply.ts';
import type { PresentedRating, ReplyRatings } from '../../flow/rating-views.ts';
import { html, type Html } from '../html.ts';
import type { PageContext } from './context.ts';
import { csrfField } from './layout.ts';

const MAX_COMMENT = 2000;

type FormBody = Record<string, string | string[] | undefined>;

const grade = (ctx: PageContext, value: number) => ctx.fmt.number(value, Number.isInteger(value) ? 0 : 2);

/** The ratings of the reply the viewer may see, or how many there are. */
export function ratingsSection(ctx: PageContext, view: ReplyRatings): Html {
  const t = ctx.t.reply;
  const graded = CRITERIA.filter((c) => view.ratings.some((r) => r.criteria[c.id]));
  const hiddenNote =
    view.hidden === 0 ? null : ctx.viewer?.role === 'auditor' ? html`<p class="muted">${t.hiddenUntilRated(view.hidden)}</p>` : html`<p class="muted">${t.hiddenFromReader}</p>`;
  return html`<section data-ratings data-count="${String(view.count)}" data-hidden="${String(view.hidden)}" aria-labelledby="ratings-title">
    <h2 id="ratings-title">${t.ratings}</h2>
    <p>${t.raters(view.count)}</p>
    ${hiddenNote}
    ${view.ratings.length > 0 && graded.length > 0
      ? html`<table>
          <thead><tr><th scope="col">${t.criterion}</th>${view.ratings.map((r) => html`<th scope="col" class="num" data-rater="${r.rater}">${r.rater}${r.mine ? html` (${t.you})` : null}</th>`)}</tr></thead>
          <tbody>
            ${graded.map(
              (c) => html`<tr data-criterion="${c.id}">
                <th scope="row">${ctx.t.criteria[c.id] ?? c.label}</th>
                ${view.ratings.map((r) => {
                  const g = r.criteria[c.id];
                  return html`<td class="num">${g ? html`${grade(ctx, g.value)}${g.comment ? html`<div class="muted">${g.comment}</div>` : null}` : ctx.t.none}</td>`;
                })}
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
  </section>`;
}

/** The viewer's own rating, as a form: its grades filled in, or what it just posted. */
export function ratingForm(ctx: PageContext, replyId: string, mine: PresentedRating | undefined, posted: FormBody | undefined): Html {
  const t = ctx.t.reply;
  const field = (name: string) => {
    const v = posted?.[name];
    return typeof v === 'string' ? v : undefined;
  };
  return html`<h2 id="rating-title">${t.myRating}</h2>
    <form method="post" action="/replies/${replyId}/ratings/mine" aria-labelledby="rating-title" data-rating-form>
      ${csrfField(ctx)}
      <p class="muted">${t.myRatingHelp}</p>
      <table>
        <thead><tr><th scope="col">${t.criterion}</th><th scope="col">${t.value}</th><th scope="col">${t.evidence}</th></tr></thead>
        <tbody>
          ${CRITERIA.map((c) => {
            const label = ctx.t.criteria[c.id] ?? c.label;
            const own = mine?.criteria[c.id];
            return html`<tr>
              <th scope="row">${label}</th>
              <td><input type="number" min="0" max="${CRITERION_MAX}" step="any" name="grade.${c.id}" aria-label="${t.gradeValue(label)}" value="${field(`grade.${c.id}`) ?? (own ? String(own.value) : '')}"></td>
              <td><input type="text" maxlength="${MAX_COMMENT}" name="gradeComment.${c.id}" aria-label="${t.gradeComment(label)}" value="${field(`gradeComment.${c.id}`) ?? own?.comment ?? ''}"></td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p><button class="primary" type="submit">${t.saveRating}</button></p>
    </form>`;
}

/**
 * The changes a posted rating form makes to the viewer's rating: a criterion with a value is
 * graded (its comment optional), one emptied that had a grade loses it, the others stay.
 */
export function readGrades(body: FormBody, mine: PresentedRating | undefined, t: PageContext['t']): { changes: GradeChange[]; errors: string[] } {
  const changes: GradeChange[] = [];
  const errors: string[] = [];
  const text = (name: string) => {
    const v = body[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  for (const c of CRITERIA) {
    const criterion = c.id as CriterionId;
    const raw = text(`grade.${criterion}`);
    if (raw === '') {
      if (mine?.criteria[criterion]) changes.push({ criterion, grade: null });
      continue;
    }
    const value = Number(raw.replace(',', '.'));
    if (!Number.isFinite(value) || value < 0 || value > CRITERION_MAX) {
      errors.push(t.reply.badValue(t.criteria[criterion] ?? c.label));
      continue;
    }
    const comment = text(`gradeComment.${criterion}`).slice(0, MAX_COMMENT);
    changes.push({ criterion, grade: { value, comment: comment || null } });
  }
  if (errors.length === 0 && changes.length === 0) errors.push(t.reply.nothingToRate);
  return { changes, errors };
}
