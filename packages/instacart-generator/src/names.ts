/**
 * Vocabulary for generated names. Real catalogues are messy: names carry commas, double quotes,
 * apostrophes, accents, the odd emoji and, rarely, a line break — every one of which the
 * pipeline must carry through CSV, JSON and COPY untouched.
 */

/** The 21 Instacart departments, in department_id order. */
export const DEPARTMENTS = [
  'frozen',
  'other',
  'bakery',
  'produce',
  'alcohol',
  'international',
  'beverages',
  'pets',
  'dry goods pasta',
  'bulk',
  'personal care',
  'meat seafood',
  'pantry',
  'breakfast',
  'canned goods',
  'dairy eggs',
  'household',
  'babies',
  'snacks',
  'deli',
  'missing',
] as const;

const AISLE_BASES = [
  'fresh fruits',
  'fresh vegetables',
  'packaged vegetables fruits',
  'yogurt',
  'packaged cheese',
  'milk',
  'water seltzer sparkling water',
  'chips pretzels',
  'soy lactosefree',
  'bread',
  'refrigerated',
  'frozen produce',
  'ice cream ice',
  'crackers',
  'energy granola bars',
  'eggs',
  'lunch meat',
  'frozen meals',
  'baby food formula',
  'fresh herbs',
  'soup broth bouillon',
  'cereal',
  'juice nectars',
  'coffee',
  'tea',
  'spreads',
  'candy chocolate',
  'cookies cakes',
  'nuts seeds dried fruit',
  'oils vinegars',
  'spices seasonings',
  'pasta sauce',
  'dry pasta',
  'canned meals beans',
  'hot dogs bacon sausage',
  'poultry counter',
  'seafood counter',
  'beers coolers',
  'red wines',
  'white wines',
  'specialty cheeses',
  'tofu meat alternatives',
  'frozen breakfast',
  'cat food care',
  'dog food care',
  'paper goods',
  'laundry',
  'dish detergents',
  'oral hygiene',
  'hair care',
] as const;

const QUALIFIERS = ['', 'organic ', 'specialty ', 'bulk ', 'kosher ', 'asian ', 'latino ', 'indian '] as const;

/** 134 aisle names: the common real ones, then qualified variants, all distinct. */
export function aisleName(aisleId: number): string {
  const index = aisleId - 1;
  const base = AISLE_BASES[index % AISLE_BASES.length] as string;
  const qualifier = QUALIFIERS[Math.floor(index / AISLE_BASES.length) % QUALIFIERS.length] as string;
  return `${qualifier}${base}`;
}

export const BRANDS = [
  'Bonne Maman',
  'Häagen-Dazs',
  "Annie's",
  'Nestlé',
  'Løiten',
  'Président',
  "Trader Joe's",
  'Müller',
  'Good & Gather',
  'Crème de la Crème',
  'São Paulo Roasters',
  'Zoë Foods',
] as const;

export const ADJECTIVES = [
  'Organic',
  'Extra Virgin',
  'Unsweetened',
  'Gluten-Free',
  'Smoked',
  'Jalapeño',
  'Crème Fraîche',
  'Piña Colada',
  'Açaí',
  'Crispy',
  'Low-Fat',
  'Wild-Caught',
] as const;

export const NOUNS = [
  'Banana',
  'Strawberries',
  'Baby Spinach',
  'Avocado',
  'Whole Milk',
  'Greek Yogurt',
  'Sourdough Bread',
  'Olive Oil',
  'Sparkling Water',
  'Chicken Breasts',
  'Pasta Sauce',
  'Granola',
  'Brie',
  'Tortilla Chips',
  'Coffee Beans',
  'Dark Chocolate',
] as const;

/** Package sizes: commas and quotes, as real catalogues write them. */
export const SIZES = [
  '',
  ', 12 oz',
  ', 1 lb',
  ', 6 ct',
  ' (2 x 500 g)',
  ', 16" Pizza',
  ' - "Family Size"',
  ', 1,5 L',
] as const;
