"""A Pipes task: reports materialisation metadata and an asset check through dagster-pipes."""

from __future__ import annotations

from dagster_pipes import open_dagster_pipes


def main() -> None:
    with open_dagster_pipes() as pipes:
        scores = [0.91, 0.87, 0.95]
        pipes.log.info(f"scored {len(scores)} models")
        pipes.report_asset_materialization(
            metadata={"models_scored": len(scores), "best_score": max(scores)}
        )
        pipes.report_asset_check(
            check_name="scores_in_range",
            passed=all(0 <= s <= 1 for s in scores),
            metadata={"min": min(scores)},
        )


if __name__ == "__main__":
    main()
