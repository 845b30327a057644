SELECT
  *
FROM (
  SELECT
    `t0`.`unit`,
    `t0`.`day`,
    COALESCE(SUM(CAST(`t0`.`status` = 'received' AS BIGINT)), 0) AS `dossier_received`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'received'
        ) AND (
          `t0`.`full_online` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_full_online`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'received'
        ) AND (
          `t0`.`channel` = 'online'
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_online`,
    COALESCE(SUM(IF(`t0`.`status` = 'received', `t0`.`documents`, NULL)), 0) AS `dossier_documents`,
    COALESCE(SUM(IF(`t0`.`status` = 'received', `t0`.`documents_reused`, NULL)), 0) AS `dossier_documents_reused`,
    COALESCE(SUM(CAST((
      `t0`.`status` = 'received'
    ) AND (
      `t0`.`fee` > 0
    ) AS BIGINT)), 0) AS `dossier_with_fee`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'received'
        )
        AND (
          `t0`.`fee` > 0
        )
        AND (
          `t0`.`paid_online` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_paid_online`,
    COALESCE(SUM(CAST(`t0`.`status` = 'result_issued' AS BIGINT)), 0) AS `dossier_results`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'result_issued'
        ) AND (
          `t0`.`digitised` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_digitised`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'result_issued'
        ) AND (
          `t0`.`e_result` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_electronic`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'result_issued'
        ) AND (
          `t0`.`on_time` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_on_time`,
    COALESCE(COUNT(*), 0) AS `dossier_status_records`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'result_issued'
        )
        AND (
          `t0`.`on_time` = TRUE
        )
        AND (
          `t0`.`supplement_requests` <= 1
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_on_time_766`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'result_issued'
        )
        AND (
          `t0`.`received_at` IS NOT NULL
        )
        AND (
          `t0`.`due_at` IS NOT NULL
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_tracked`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'received'
        )
        AND (
          `t0`.`channel` = 'online'
        )
        AND (
          `t0`.`vneid` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_online_vneid`,
    COALESCE(
      SUM(
        CAST((
          `t0`.`status` = 'received'
        ) AND (
          `t0`.`national_db_lookups` > 0
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_national_db`,
    COALESCE(SUM(CAST(`t0`.`rating` IS NOT NULL AS BIGINT)), 0) AS `dossier_rated`,
    COALESCE(SUM(CAST(`t0`.`rating` >= 4 AS BIGINT)), 0) AS `dossier_rated_satisfied`
  FROM `dossier_event` AS `t0`
  GROUP BY
    1,
    2
) AS `t1`
ORDER BY
  `t1`.`unit` ASC NULLS LAST,
  `t1`.`day` ASC NULLS LAST
