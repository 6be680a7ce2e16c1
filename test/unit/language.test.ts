import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/audit/language.ts';

describe('detectLanguage', () => {
  it.each([
    'Bonjour Madame, votre commande est partie ce matin et arrivera chez vous jeudi. Cordialement, Julie',
    'Oui, le magasin est ouvert le dimanche de 10 h à 13 h, sans rendez-vous. Bonne journée !',
    'Merci pour votre message. Nous avons remboursé les frais de port sur votre carte hier soir.',
    'Votre ticket a été mis à jour : le technicien passera mardi entre 8 h et 12 h.',
    'Désolé pour ce retard, le colis est bloqué au dépôt de Lyon depuis lundi, on relance.',
  ])('says fr for the 15-word French reply %j', (text) => {
    expect(detectLanguage(text)).toBe('fr');
  });

  it.each([
    'Hello Marie, your order left our warehouse this morning and should arrive on Thursday. Best, Tom',
    'Yes, the store is open on Sundays from 10 to 1, no appointment needed. Have a nice day!',
    'Thanks for your message. We refunded the shipping costs to your card last night, Julie.',
    'Your ticket was updated: the technician will visit on Tuesday between 8 and noon.',
    'Sorry for the delay, the parcel has been stuck at the Lyon depot since Monday.',
  ])('says en for the 15-word English reply %j', (text) => {
    expect(detectLanguage(text)).toBe('en');
  });

  it.each([
    ['de', 'Sehr geehrte Frau Dupont, vielen Dank für Ihre Nachricht. Ihre Bestellung wurde heute verschickt und sollte am Donnerstag bei Ihnen ankommen. Mit freundlichen Grüßen'],
    ['es', 'Estimada señora Dupont, gracias por su mensaje. Su pedido salió esta mañana de nuestro almacén y llegará el jueves a su domicilio. Saludos cordiales'],
    ['it', 'Gentile signora Dupont, grazie per il suo messaggio. Il suo ordine è partito stamattina dal nostro magazzino e arriverà giovedì a casa sua. Cordiali saluti'],
    ['nl', 'Beste mevrouw Dupont, bedankt voor uw bericht. Uw bestelling is vanochtend verzonden en wordt donderdag bij u thuis bezorgd. Met vriendelijke groet'],
    ['pl', 'Dzień dobry, dziękujemy za wiadomość. Pani zamówienie zostało dziś rano wysłane z naszego magazynu i dotrze w czwartek. Pozdrawiamy serdecznie'],
    ['pt', 'Olá, obrigado pela sua mensagem. A sua encomenda saiu hoje de manhã do nosso armazém e chegará na quinta-feira. Com os melhores cumprimentos'],
    ['cs', 'Dobrý den, děkujeme za vaši zprávu. Vaše objednávka byla dnes ráno odeslána z našeho skladu a ve čtvrtek bude doručena na vaši adresu. S pozdravem'],
  ])('says %s for a short reply in that language', (code, text) => {
    expect(detectLanguage(text)).toBe(code);
  });

  it('returns und when there is nothing to go on', () => {
    expect(detectLanguage('')).toBe('und');
    expect(detectLanguage('  \n ')).toBe('und');
    expect(detectLanguage('https://www.example.com 01 23 45 67 89 contact@example.com')).toBe('und');
    expect(detectLanguage('Message body')).toBe('und');
  });

  it('decides very short French and English replies by their function words', () => {
    expect(detectLanguage('Merci, c\'est noté pour vous.')).toBe('fr');
    expect(detectLanguage('Thanks, that is fine with us.')).toBe('en');
  });
});
