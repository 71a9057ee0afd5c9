// Starts GOV.UK Frontend's components (error summary focus, service navigation, character count...).
import { initAll } from "../dist/govuk-frontend.min.js";

initAll();
