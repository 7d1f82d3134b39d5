SELECT 1;
SELECT CAST('2' AS BIGINT) AS "parent__", "c__".*, 1 AS "nest0__", "g0__".* FROM (SELECT "accounts".* FROM "accounts" WHERE "accounts"."id" = CAST('2' AS BIGINT) AND TRUE ORDER BY "accounts"."id" ASC LIMIT '2') AS "c__" LEFT JOIN LATERAL (SELECT "services".* FROM "services" WHERE "services"."account_id" = "c__"."id" AND ("services"."status" <> 'ARCHIVED' AND TRUE AND ("c__"."id" = '1' OR ("c__"."main_account_id" = '1' AND "c__"."sub_account_type" IN ('AGGREGATED', 'INDEPENDENT')))) ORDER BY "id" ASC LIMIT '11') AS "g0__" ON TRUE ORDER BY "c__"."id" ASC;
SELECT 1;
