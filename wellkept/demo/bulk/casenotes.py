"""Invented session content for the demo practice's year: plainly labelled (Demo) everywhere."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wellkept.demo.bulk.practice import Course

WORRIES = (
    "night shifts", "a new ward", "on-call weeks", "a staffing gap", "a death on the ward", "exams",
    "a complaint at work", "caring for a parent", "a move between teams",
)  # fmt: skip
THEMES = (
    "sleep after nights", "worry on days off", "low mood in the mornings", "irritability at home",
    "avoiding the ward", "keeping boundaries with extra shifts", "grief", "panic before handover",
)  # fmt: skip
INTERVENTIONS = (
    "behavioural activation", "a sleep scheduling plan", "cognitive restructuring of worry",
    "grounding practice", "problem-solving around rotas", "values work", "a graded return plan",
)  # fmt: skip
RESPONSES = (
    "engaged well and tried the exercise in session",
    "found it hard to start but agreed to try",
    "reported the last practice helped on two nights",
    "was tired and quieter than usual; we kept it short",
    "brought a written record and reviewed it with me",
)  # fmt: skip


def session_sections(
    rng: random.Random, template: str, course: Course, number: int
) -> dict[str, str]:
    """Invented session content, plainly labelled (Demo) in every section."""
    first = course.first_name
    theme, worry = rng.choice(THEMES), rng.choice(WORRIES)
    method, response = rng.choice(INTERVENTIONS), rng.choice(RESPONSES)
    if template == "intake":
        return {
            "presenting_problem": f"(Demo) {first} asks for help with {theme} linked to {worry}.",
            "history": "(Demo) No previous treatment; physically well; works in the hospital.",
            "mental_status": "(Demo) Alert, oriented, coherent; mood low-normal; good rapport.",
            "risk": "(Demo) No thoughts of harm; supportive network; knows the crisis line.",
            "formulation": f"(Demo) Strain from {worry} maintained by {theme}.",
            "plan": "(Demo) Sessions "
            + ("weekly" if course.cadence == 7 else "fortnightly")
            + "; PHQ-9 and GAD-7 every two weeks; plan at the next session.",
        }
    if template == "discharge":
        return {
            "reason": "(Demo) Goals of the plan met; ending agreed together.",
            "course": f"(Demo) {number} sessions on {theme}; scores fell over the course.",
            "status": "(Demo) Coping well; no risk indicated.",
            "recommendations": "(Demo) Return through the front desk if needed.",
        }
    plan = rng.choice(
        (
            "(Demo) Continue the plan; review measures in two weeks.",
            f"(Demo) Practise {method} before the next session.",
            "(Demo) Keep the sleep diary; revisit boundaries with the rota.",
        )
    )
    if template == "dap":
        return {
            "data": f"(Demo) Session {number}. {first} talked about {theme} after {worry}.",
            "assessment": f"(Demo) {first} {response}; no risk indicated today.",
            "plan": plan,
        }
    if template == "birp":
        return {
            "behaviour": f"(Demo) Session {number}. {first} described {theme}.",
            "intervention": f"(Demo) We worked on {method}.",
            "response": f"(Demo) {first} {response}.",
            "plan": plan,
        }
    return {
        "subjective": f"(Demo) Session {number}. {first} reports {theme} linked to {worry}.",
        "objective": f"(Demo) {first} {response}; affect congruent.",
        "assessment": f"(Demo) Work-related strain; {method} helping; no risk indicated.",
        "plan": plan,
    }


PLAN_OUTLINE = """\
Problem: (Demo) {first}'s {theme}
  Goal: (Demo) {goal}
    Objective: (Demo) PHQ-9 total below 10
      Measure: PHQ-9
      Target: below 10
      By: {by}
      Intervention: (Demo) {method}
Problem: (Demo) Worry about {worry} spills into days off
  Goal: (Demo) Days off feel like rest
    Objective: (Demo) GAD-7 total below 8
      Measure: GAD-7
      Target: below 8
      By: {by}
      Intervention: (Demo) Worry time and a boundary plan
"""
GOALS = (
    "Sleep at least six hours after a shift",
    "Get back to two activities enjoyed before",
    "Handover without panic",
    "Feel rested on days off",
)
