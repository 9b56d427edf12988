"""National dictionaries (国家字典) the registry records persons and households with (docs/domain.md §14).

Each dictionary maps the platform's code (English, stored) to the label users see (the dictionary's
Chinese value). The registry builds its Django choices from these; the domain rules and the screening
engine read the codes named below.
"""

from __future__ import annotations

# 户类型 (national dictionary 100A03: 脱贫户 with or without ongoing support, 一般农户)
EX_POOR = "ex_poor"
ORDINARY = "ordinary"
HOUSEHOLD_KIND: dict[str, str] = {
    EX_POOR: "脱贫户",
    ORDINARY: "一般农户",
}

# 监测对象类别 (dm_jcdxlb; docs/domain.md §1); "" = not monitored
UNSTABLE_EX_POOR = "unstable_ex_poor"
EDGE = "edge"
SUDDEN_HARDSHIP = "sudden_hardship"
MONITORING_CATEGORY: dict[str, str] = {
    "": "非监测对象",
    UNSTABLE_EX_POOR: "脱贫不稳定户",
    EDGE: "边缘易致贫户",
    SUDDEN_HARDSHIP: "突发严重困难户",
}

# 性别 (read from the ID number)
MALE = "male"
FEMALE = "female"
SEX: dict[str, str] = {
    MALE: "男",
    FEMALE: "女",
}

# 与户主关系 (national dictionary 1010)
HEAD = "head"
RELATION: dict[str, str] = {
    HEAD: "户主",
    "spouse": "配偶",
    "son": "之子",
    "daughter": "之女",
    "daughter_in_law": "之儿媳",
    "son_in_law": "之女婿",
    "grandchild": "之孙子女",
    "parent": "之父母",
    "grandparent": "之祖父母",
    "sibling": "之兄弟姐妹",
    "other": "其他",
}

# 文化程度 (national dictionary 100A11)
EDUCATION: dict[str, str] = {
    "": "未填写",
    "illiterate": "文盲或半文盲",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中专",
    "college": "大专及以上",
}

# 在校生情况 (national dictionary 100A12); "" = not a student
DROPOUT = "dropout"
STUDENT_STATUS: dict[str, str] = {
    "": "非在校生",
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "普通高中",
    "secondary_vocational": "中职",
    "higher_vocational": "高职",
    "undergraduate": "本科",
    "postgraduate": "硕士及以上",
    DROPOUT: "失学或辍学",
}

# 健康状况 (national dictionary 100A13)
CHRONIC = "chronic"
MAJOR_ILLNESS = "major_illness"
DISABLED = "disabled"
HEALTH_STATUS: dict[str, str] = {
    "healthy": "健康",
    CHRONIC: "长期慢性病",
    MAJOR_ILLNESS: "大病",
    DISABLED: "残疾",
}

# 残疾类别
DISABILITY_CATEGORY: dict[str, str] = {
    "": "无",
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}

# 残疾等级
DISABILITY_GRADE: dict[int, str] = {
    1: "一级",
    2: "二级",
    3: "三级",
    4: "四级",
}

# 劳动技能 (national dictionary 100A14)
LABOUR_ORDINARY = "ordinary"
LABOUR_SKILLED = "skilled"
LABOUR_SKILL: dict[str, str] = {
    LABOUR_ORDINARY: "普通劳动力",
    LABOUR_SKILLED: "技能劳动力",
    "lost": "丧失劳动力",
    "none": "无劳动力",
}

# 务工所在地 (docs/domain.md §10)
WORK_PLACE: dict[str, str] = {
    "": "未务工",
    "in_county": "县内",
    "in_province": "省内县外",
    "out_of_province": "省外",
    "abroad": "国外",
}

# 基本医疗保险
MEDICAL_INSURANCE: dict[str, str] = {
    "": "未参保",
    "resident": "城乡居民基本医疗保险",
    "employee": "职工基本医疗保险",
}

# 基本养老保险
PENSION_INSURANCE: dict[str, str] = {
    "": "未参保",
    "resident": "城乡居民基本养老保险",
    "employee": "职工基本养老保险",
    "receiving": "已领取养老金",
}

# 住房安全等级 (住建 rating, docs/domain.md §8); "" = not rated
HOUSING_C = "C"
HOUSING_D = "D"
HOUSING_GRADE: dict[str, str] = {
    "": "未鉴定",
    "A": "A级",
    "B": "B级",
    HOUSING_C: "C级",
    HOUSING_D: "D级",
}

# 民族 (national dictionary 100A09), in the order of the national list.
ETHNICITIES: tuple[str, ...] = (
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
)

# Labour skills that count as a labourer (劳动力).
LABOURER_SKILLS: tuple[str, ...] = (LABOUR_ORDINARY, LABOUR_SKILLED)
