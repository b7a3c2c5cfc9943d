"""The patient lifecycle: enroll, opt-in and opt-out, pause and resume, unenroll, erase,
the consent history, and the status values. Web, SMS, CLI and clock all call this.

Nothing is imported here: `bot.models` reads `bot.patients.status`, so importing this
package must not pull in the modules that use the models.
"""
