select __accounts__."id"::text as "0", __accounts__."login" as "1", __accounts__."full_name" as "2", __accounts__."status" as "3", __accounts__."billing_mode" as "4", __accounts__."sub_account_type" as "5", to_char(__accounts__."linked_at", 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'::text) as "6" from "public"."accounts" as __accounts__ where (__accounts__."main_account_id" = '1'::"int8") order by __accounts__."full_name" asc, __accounts__."id" asc limit 101;
set jit_optimize_above_cost = -1;
select (count(*))::text as "0" from "public"."accounts" as __accounts__ where (__accounts__."main_account_id" = '1'::"int8");
SELECT 1;
