// The page's plug-ins (panels.ts): each import registers a panel or a profile-form section.
// Add one line per feature; app.ts imports this file before the home screen opens.
import "./photo";
import "./settings-panel";
import "./preferences-section";
import "./wallet";
