// Where other parts of the page plug in: panels on the list screen, and sections of the profile form.
// A feature adds its own file and one line in extensions.ts; the layout places it.
import type { OwnProfile, ProfileInput } from "../modules/profiles/model";

/** What a panel may use of the signed-in home screen. */
export interface PanelContext {
  readonly userId: number;
  /** The caller's profile as last loaded (null: none yet). */
  profile(): OwnProfile | null;
  /** Loads the profile again (after a purchase, say) and redraws what shows it. */
  reloadProfile(): Promise<void>;
  /** Reloads the match list and the daily quota. */
  reloadMatches(): void;
  /** Opens a match's chat (also before the list has loaded). */
  openMatch(matchId: number): void;
}

/**
 * A card on the list screen. The built-in ones are in index.html with data-order 10 (your profile),
 * 20 (your matches) and 30 (find a match); a registered panel is placed by its order among them.
 */
export interface Panel {
  id: string;
  order: number;
  /** Called once after sign-in with an empty <section class="card panel"> to fill. */
  mount(host: HTMLElement, context: PanelContext): void | Promise<void>;
  /** Called after each profile load or save. */
  profileChanged?(profile: OwnProfile | null): void;
  /** Called at sign-out (stop timers). */
  unmount?(): void;
}

/** A group of fields in the profile form, at one of the form's slots. */
export interface ProfileSection {
  id: string;
  /** "basics" after gender and age, "about" after interests, "end" before the Save button. */
  slot: "basics" | "about" | "end";
  /** Built once; placed in the form. */
  element(): HTMLElement;
  /** Shows the loaded profile (null: none yet, the form starts empty). */
  fill?(profile: OwnProfile | null): void;
  /** Adds its fields to the PUT /profile body; a sentence when something is wrong (nothing is saved). */
  collect?(form: FormData, body: ProfileInput): string | null;
  /** After PUT /profile succeeded (e.g. upload a photo chosen meanwhile). */
  saved?(profile: OwnProfile): void | Promise<void>;
}

const panels: Panel[] = [];
const sections: ProfileSection[] = [];

export function registerPanel(panel: Panel): void {
  panels.push(panel);
}

export function registerProfileSection(section: ProfileSection): void {
  sections.push(section);
}

export const registeredPanels = (): readonly Panel[] => panels;
export const profileSections = (): readonly ProfileSection[] => sections;
