-- The member figures (members active, redeeming, repeat per period) are decided at the receipt from the member's
-- own state, which keeps the periods it bought in (see Visit), so the write-behind only adds numbers to
-- period_figures. period_members, which it looked up and wrote for every receipt in four periods, is no longer
-- read or written.
--
-- Upgrading across a period: states and events written before this version carry no visits, so a member who
-- bought before the upgrade and buys again in the same day, week or month is counted once more as active in that
-- period (and as repeat or redeeming when those apply), and a receipt whose event an older gateway wrote but did
-- not drain is counted in the sums but not in the member figures. Periods that begin after the upgrade are exact.
DROP TABLE period_members;
