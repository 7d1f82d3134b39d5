select __accounts__."id"::text as "0", __accounts__."login" as "1", __accounts__."full_name" as "2", __accounts__."status" as "3", array(select array[ __services__."id"::text, __services__."status", __services__."price_minor"::text ]::text[] from "public"."services" as __services__ where (__services__."account_id" = __accounts__."id") order by __services__."id" asc limit 3)::text as "4" from "public"."accounts" as __accounts__ where (__accounts__."main_account_id" = '1'::"int8") order by __accounts__."full_name" asc, __accounts__."id" asc limit 4;
SELECT 1;
SELECT 1;
