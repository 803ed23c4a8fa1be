// The codes of API.md with the Chinese labels of server/codes.py (the screens work offline, so they are here).

export const CATEGORIES = [
  ["fire", "消防安全"], ["hazchem", "危险化学品"], ["special_equipment", "特种设备"], ["electrical", "电气安全"],
  ["confined_space", "有限空间"], ["dust", "粉尘防爆"], ["construction", "建筑施工"], ["occupational", "职业健康"],
  ["traffic", "厂内交通"], ["flood", "防汛防台"], ["management", "安全管理"], ["other", "其他"],
];

export const LEVELS = [["general", "一般隐患"], ["major", "重大隐患"]];

export const KINDS = [["routine", "日常巡查"], ["special", "专项检查"], ["resumption", "复工验收"], ["joint", "联合检查"]];

export const CAMPAIGNS = [
  ["fire", "消防专项"], ["hazchem", "危化品专项"], ["special_equipment", "特种设备专项"], ["electrical", "用电安全专项"],
  ["confined_space", "有限空间专项"], ["dust", "粉尘防爆专项"], ["construction", "建筑施工专项"],
  ["flood_season", "汛期专项"], ["holiday", "节假日专项"], ["safety_month", "安全生产月"], ["winter", "冬季专项"],
];

export const STATUSES = [["registered", "待整改"], ["awaiting_verification", "待验收"], ["closed", "已销号"]];

export const ROLES = { admin: "系统管理员", office: "安监办", leader: "管委会领导", inspector: "网格员", enterprise: "企业安全管理人员" };

export function label(pairs, code) {
  const found = pairs.find(([c]) => c === code);
  return found ? found[1] : code || "";
}
