SELECT
  *
FROM (
  SELECT
    `t1`.`commune` AS `unit`,
    `t1`.`day`,
    COALESCE(SUM(CAST(`t1`.`status` = 'received' AS BIGINT)), 0) AS `dossier_received`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'received'
        ) AND (
          `t1`.`full_online` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_full_online`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'received'
        ) AND (
          `t1`.`channel` = 'online'
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_online`,
    COALESCE(SUM(IF(`t1`.`status` = 'received', `t1`.`documents`, NULL)), 0) AS `dossier_documents`,
    COALESCE(SUM(IF(`t1`.`status` = 'received', `t1`.`documents_reused`, NULL)), 0) AS `dossier_documents_reused`,
    COALESCE(SUM(CAST((
      `t1`.`status` = 'received'
    ) AND (
      `t1`.`fee` > 0
    ) AS BIGINT)), 0) AS `dossier_with_fee`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'received'
        )
        AND (
          `t1`.`fee` > 0
        )
        AND (
          `t1`.`paid_online` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_paid_online`,
    COALESCE(SUM(CAST(`t1`.`status` = 'result_issued' AS BIGINT)), 0) AS `dossier_results`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'result_issued'
        ) AND (
          `t1`.`digitised` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_digitised`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'result_issued'
        ) AND (
          `t1`.`e_result` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_electronic`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'result_issued'
        ) AND (
          `t1`.`on_time` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_on_time`,
    COALESCE(COUNT(*), 0) AS `dossier_status_records`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'result_issued'
        )
        AND (
          `t1`.`on_time` = TRUE
        )
        AND (
          `t1`.`supplement_requests` <= 1
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_on_time_766`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'result_issued'
        )
        AND (
          `t1`.`received_at` IS NOT NULL
        )
        AND (
          `t1`.`due_at` IS NOT NULL
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_results_tracked`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'received'
        )
        AND (
          `t1`.`channel` = 'online'
        )
        AND (
          `t1`.`vneid` = TRUE
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_online_vneid`,
    COALESCE(
      SUM(
        CAST((
          `t1`.`status` = 'received'
        ) AND (
          `t1`.`national_db_lookups` > 0
        ) AS BIGINT)
      ),
      0
    ) AS `dossier_received_national_db`,
    COALESCE(SUM(CAST(`t1`.`rating` IS NOT NULL AS BIGINT)), 0) AS `dossier_rated`,
    COALESCE(SUM(CAST(`t1`.`rating` >= 4 AS BIGINT)), 0) AS `dossier_rated_satisfied`
  FROM (
    SELECT
      *
    FROM `dossier_event` AS `t0`
    WHERE
      `t0`.`commune` IS NOT NULL
  ) AS `t1`
  GROUP BY
    1,
    2
) AS `t2`
ORDER BY
  `t2`.`unit` ASC NULLS LAST,
  `t2`.`day` ASC NULLS LAST
